# Local override of python-isal's stubs (see isal_zlib.pyi here for why).
ISAL_MAJOR_VERSION: int
ISAL_MINOR_VERSION: int
ISAL_PATCH_VERSION: int
ISAL_VERSION: str
__version__: str
