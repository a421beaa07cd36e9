"""ofsted-extractor: Ofsted annual children's services assessment letters as validated data.

from extractor import extract_file
doc = extract_file("examples/worcestershire-2011.txt")
doc.letter.grade, doc.validation.status
"""

from extractor.errors import (
    ConfigurationError,
    ExtractionFailed,
    ExtractorError,
    InputError,
    LLMError,
)
from extractor.pipeline import extract, extract_file, make_engine
from extractor.schema import SCHEMA_VERSION, Document, Letter

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
    "__version__",
    "extract",
    "extract_file",
    "make_engine",
]
