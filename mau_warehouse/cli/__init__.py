"""The `mau` command: the application shell on top of the core, the Dagster job and the
tools. Nothing below it (core, orchestration, checks, dashboards) imports it."""
