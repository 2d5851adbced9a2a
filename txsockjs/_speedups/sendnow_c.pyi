# The compiled twin of sendnow_py takes and returns the same: its names, its types.
from txsockjs._speedups.sendnow_py import send_now as send_now
