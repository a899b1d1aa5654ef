"""The LLM fallback: triage, plans over read-only tools, reflection, traces.

Headless by design (no Textual), so batch runs, the UI and tests share it. The
package itself imports nothing: its settings model (``planner.config``) is read
by every command, and must not drag the planner's heavy modules in with it.
Import the modules you use (``planner.triage``, ``planner.observer``, ...).
"""
