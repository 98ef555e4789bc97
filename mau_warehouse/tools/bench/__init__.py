"""`mau bench`: the performance targets of SPEC §6, measured beside the limit query.

Every step runs as its own process, several times; a row reports the median wall
time, the worst peak memory and the ratio to the limit query of the same workload,
measured in the same run. docs/benchmarks.md gives the method and the figures.
"""
