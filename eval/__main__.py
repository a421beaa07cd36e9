"""`python -m eval`: the eval harness without the main CLI."""

from eval.cli import main

raise SystemExit(main())
