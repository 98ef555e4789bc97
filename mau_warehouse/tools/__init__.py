"""Developer tools apart from the warehouse: workload generation and benchmarks. The
command line offers them; the core never imports them."""
