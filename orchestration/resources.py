"""Resources: where the warehouse lives and how dbt is invoked, from the environment."""

import os

from dagster import ConfigurableResource

from mau_warehouse.config import Settings, load_settings
from orchestration.dbt_project import dbt_cli


class MauHome(ConfigurableResource):
    """The MAU_HOME that a run reads and writes; unset means the environment's."""

    home: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.home)

    def export_dbt_environment(self) -> None:
        """profiles.yml reads the warehouse path and DuckDB limits from the environment."""
        os.environ.update(self.settings().dbt_env())


def build_resources() -> dict[str, object]:
    return {
        "mau_home": MauHome(home=os.environ.get("MAU_HOME")),
        "dbt": dbt_cli(),
    }
