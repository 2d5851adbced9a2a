"""The buffer types the kernels accept, for annotations.

``bytes``, ``bytearray`` and ``memoryview`` alike: both kernel paths take
any of them (the differential tests vary all three).
"""

from typing import Tuple, Union

BytesLike = Union[bytes, bytearray, memoryview]

#: One parsed WebSocket frame: ``(fin, opcode, payload)``.
Frame = Tuple[bool, int, bytes]
