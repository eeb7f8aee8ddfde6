import sys

from benchmarks.run import main

if __name__ == "__main__":  # worker processes (spawn) import this module again: do not re-run the benchmark
    sys.exit(main())
