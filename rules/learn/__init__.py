"""Rules learned from incidents whose causes are known: labelled files or the DBA's confirmations.

DBSherlock's lasting idea: a cause the DBA confirmed becomes a model used the
next time. ``learn_pack`` mines each incident's window against its normal rows
(``mine``), merges the predicates per cause and grows rules from them
(``induce``), and writes an ordinary rule pack (``pack``).
"""

from rules.learn.examples import Example
from rules.learn.induce import LearnedRule, LearnSettings, induce
from rules.learn.mine import MinedIncident, MiningError, mine
from rules.learn.pack import LearnedPack, learn_pack, mine_all, pack_from_mined

__all__ = [
    "Example",
    "LearnSettings",
    "LearnedPack",
    "LearnedRule",
    "MinedIncident",
    "MiningError",
    "induce",
    "learn_pack",
    "mine",
    "mine_all",
    "pack_from_mined",
]
