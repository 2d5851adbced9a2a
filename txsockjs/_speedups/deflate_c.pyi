# The compiled twin of deflate_py takes and returns the same: its names, its types.
from txsockjs._speedups.deflate_py import (Deflater as Deflater, EncoderBase as EncoderBase,
                                           Inflater as Inflater)

FIXED_BELOW: int
