"""ofsted-extractor: Ofsted annual children's services assessment letters as validated data.

from ofsted_extractor import extract_file
doc = extract_file("examples/worcestershire-2011.txt")
doc.letter.grade, doc.validation.status
"""

from typing import TYPE_CHECKING, Any

from ofsted_extractor.errors import (
    ConfigurationError,
    ExtractionFailed,
    ExtractorError,
    InputError,
    LLMError,
    StoreError,
)
from ofsted_extractor.schema import SCHEMA_VERSION, Document, Letter

if TYPE_CHECKING:
    from ofsted_extractor.limits import Limits
    from ofsted_extractor.pipeline import extract, extract_file, extract_many, make_engine

__version__ = "0.1.0"

__all__ = [
    "SCHEMA_VERSION",
    "ConfigurationError",
    "Document",
    "ExtractionFailed",
    "ExtractorError",
    "InputError",
    "LLMError",
    "Letter",
    "Limits",
    "StoreError",
    "__version__",
    "extract",
    "extract_file",
    "extract_many",
    "make_engine",
]


def __getattr__(name: str) -> Any:
    # The pipeline imports `validators`, which imports `extractor.schema`; loading it lazily
    # lets `import validators` come first without a circular import.
    if name in ("extract", "extract_file", "extract_many", "make_engine"):
        from ofsted_extractor import pipeline

        return getattr(pipeline, name)
    if name == "Limits":
        from ofsted_extractor.limits import Limits

        return Limits
    raise AttributeError(f"module 'ofsted_extractor' has no attribute {name!r}")
