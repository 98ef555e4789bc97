"""Expectation suites, kept as code: one suite per guarded table.

Each suite names the warehouse table it reads and the expectations it must
meet; `{batch}` in a row query stands for that table. Rules are cited so a
failing expectation says which promise of SPEC §3 it protects.
"""

from __future__ import annotations

from dataclasses import dataclass

import great_expectations as gx
from great_expectations.expectations import Expectation


@dataclass(frozen=True)
class Suite:
    name: str
    schema: str
    table: str
    blocking: bool
    expectations: tuple[Expectation, ...]


def usage_suite() -> Suite:
    """The tenant × month usage mart that invoices read (R8, R12)."""
    return Suite(
        name="fct_tenant_monthly_usage",
        schema="marts",
        table="fct_tenant_monthly_usage",
        blocking=True,
        expectations=(
            gx.expectations.ExpectCompoundColumnsToBeUnique(
                column_list=["tenant_id", "month"],
                description="One row per tenant and month.",
            ),
            gx.expectations.ExpectColumnValuesToNotBeNull(
                column="mau", description="Every tenant-month has a MAU figure (R8)."
            ),
            gx.expectations.UnexpectedRowsExpectation(
                unexpected_rows_query="""
                    select usage.tenant_id, usage.month, usage.mau, seen.distinct_ids
                    from {batch} as usage
                    left join (
                        select
                            tenant_id,
                            activity_month,
                            count(distinct coalesce(user_pseudonym, anonymous_pseudonym))
                                as distinct_ids,
                        from intermediate.int_events_classified
                        group by all
                    ) as seen
                        on usage.tenant_id = seen.tenant_id
                        and usage.month = seen.activity_month
                    where usage.mau > coalesce(seen.distinct_ids, 0)
                """,
                description=(
                    "MAU is never above the number of distinct ids seen in the month (R7, R8): "
                    "stitching can only merge ids, never invent persons."
                ),
            ),
        ),
    )


def all_suites() -> list[Suite]:
    return [usage_suite()]
