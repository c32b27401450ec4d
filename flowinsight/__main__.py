from flowinsight.cli import run

run()
