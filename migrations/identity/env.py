from shared.migrate import run_env

run_env("identity")
