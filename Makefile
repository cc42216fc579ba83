.PHONY: setup demo test bench lint
setup:
	bash scripts/setup.sh
demo:
	bash scripts/demo.sh
test:
	bash scripts/test.sh
bench: setup
	.venv/bin/python -m pip install -q -e '.[bench]'
	.venv/bin/python -m bench
lint: setup
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy geodata missions
