"""Resources: where the warehouse lives and how dbt is invoked."""

from dagster import ConfigurableResource

from mau_warehouse.config import Settings, load_settings
from orchestration.dbt_project import dbt_cli


class MauHome(ConfigurableResource):
    """The MAU_HOME that a run reads and writes; unset means the environment's
    (`load_settings` reads MAU_HOME, default ~/.mau-warehouse)."""

    home: str | None = None

    def settings(self) -> Settings:
        return load_settings(self.home)


def build_resources() -> dict[str, object]:
    # `mau run` gives its job the home it was asked for (mau_warehouse/cli/pipeline.py);
    # `mau ui` starts Dagster with MAU_HOME set to it.
    return {"mau_home": MauHome(), "dbt": dbt_cli()}
