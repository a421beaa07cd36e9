"""`python -m ofsted_extractor.eval`: the eval harness without the main CLI."""

from ofsted_extractor.eval.cli import main

raise SystemExit(main())
