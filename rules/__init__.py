"""Known anomalies diagnosed by forward-chaining rules over signal facts.

Rule files (YAML) are validated and linted into a ``RuleBook``; the engine
(durable_rules behind ``rules.engine``) runs them over the facts drawn from an
incident's metrics; ``diagnose_with_rules`` turns the result into a ranked,
explained ``models.Diagnosis``.
"""

from models.problems import Problem
from rules.book import PACKS_DIR, RuleBook, load_rulebook
from rules.pipeline import diagnose_with_rules
from rules.problems import RuleLoadError

__all__ = ["PACKS_DIR", "Problem", "RuleBook", "RuleLoadError", "diagnose_with_rules", "load_rulebook"]
