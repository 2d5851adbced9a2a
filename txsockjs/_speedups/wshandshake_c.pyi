# The compiled twin of wshandshake_py takes and returns the same: its names, its types.
from txsockjs._speedups.wshandshake_py import accept_key as accept_key
from txsockjs._speedups.wshandshake_py import connection_upgrades as connection_upgrades
from txsockjs._speedups.wshandshake_py import rfc6455_accept as rfc6455_accept
from txsockjs._speedups.wshandshake_py import upgrade_refusal as upgrade_refusal
from txsockjs._speedups.wshandshake_py import valid_key as valid_key
