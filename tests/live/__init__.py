"""Live tests: real Ray sessions recorded with flowinsight.recorder (run with tests/live/run_live.sh)."""
