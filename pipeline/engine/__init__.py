"""How the work runs: the batching loop every entry point shares, the process settings, Ray, progress
reporting and the optional packages."""
