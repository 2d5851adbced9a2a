# The compiled twin of mask_py takes and returns the same: its names, its types.
from txsockjs._speedups.mask_py import websocket_mask as websocket_mask
from txsockjs._speedups.mask_py import websocket_mask_inplace as websocket_mask_inplace
