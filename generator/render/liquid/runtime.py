"""What Liquid templates need while they run: Liquid's lookup rules, its counters (increment,
decrement, cycle) and its error tags.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.nodes

from generator.render.liquid import filters as liquid_filters
from generator.render.state import current_state
from generator.render.syntax import BLOCKED_PREFIX


class LiquidContext(jinja2.runtime.Context):
    """A name nothing else defines is looked up in ``vars`` (Liquid's one variable scope):
    an include reads the variables its includer assigned, as in Liquid."""

    def resolve_or_missing(self, key: str) -> Any:
        if key.startswith(BLOCKED_PREFIX):
            original = key[len(BLOCKED_PREFIX) :]
            return self.environment.undefined(
                hint=f"'{original}' is internal to the generator (unsafe for templates)",
                name=original,
            )
        value = super().resolve_or_missing(key)
        if value is jinja2.utils.missing and key != "vars":
            scope = super().resolve_or_missing("vars")
            if isinstance(scope, liquid_filters.LiquidVars):
                return liquid_filters.lookup_var(scope, key)
        return value


def liquid_increment(name: str) -> int:
    """Liquid's {% increment x %}: prints the counter, then adds one (from 0)."""
    counters = current_state().counters
    value = counters.get(("counter", name), 0)
    counters[("counter", name)] = value + 1
    return value


def liquid_decrement(name: str) -> int:
    """Liquid's {% decrement x %}: subtracts one (from 0), then prints the counter."""
    counters = current_state().counters
    value = counters.get(("counter", name), 0) - 1
    counters[("counter", name)] = value
    return value


def liquid_cycle(*values: Any, group: Any = None) -> Any:
    """Liquid's {% cycle %}: the next of ``values`` each time it runs in this render."""
    if not values:
        return ""
    counters = current_state().counters
    key = ("cycle", str(group) if group is not None else repr(values))
    index = counters.get(key, 0)
    counters[key] = index + 1
    return values[index % len(values)]


def liquid_unsupported(message: str) -> str:
    found = re.search(r"'([^']+)'", message)
    return current_state().problem("ED311", message, "", found.group(1) if found else "")


def liquid_syntax_error(message: str) -> str:
    return current_state().problem(
        "ED301",
        message,
        "Liquid reads every {{ }} and {% %} as a "
        "template: put literal braces inside {% raw %}...{% endraw %}",
    )
