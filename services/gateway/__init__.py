"""The gateway: the one address frontends and partner systems know; owns identity."""
