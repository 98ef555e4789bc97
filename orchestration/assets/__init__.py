"""Assets from landing files to published marts."""
