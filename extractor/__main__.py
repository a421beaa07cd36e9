"""`python -m extractor` is the `ofsted-extract` command."""

import sys

from extractor.cli import main

sys.exit(main())
