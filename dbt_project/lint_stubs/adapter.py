"""Lint-time stand-in for dbt's ``adapter`` (``dispatch``, ``get_columns_in_relation``),
for sqlfluff only.

A dispatched project macro renders as a plain function call named after it, so
the calling model still parses. dbt itself never imports this module.
"""


def dispatch(macro_name, macro_namespace=None):
    def render(*args):
        return f"{macro_name}(" + ", ".join(str(arg) for arg in args) + ")"

    return render


def get_columns_in_relation(relation):
    """No relation exists at lint time: a model reads as on its first build."""
    return []
