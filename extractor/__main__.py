"""`python -m ofsted_extractor` is the `ofsted-extract` command."""

import sys

from ofsted_extractor.cli import main

sys.exit(main())
