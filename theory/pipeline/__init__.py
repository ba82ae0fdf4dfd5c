"""The pipeline: command line, config, file names, planner, benchmark, report, plots, exports."""
