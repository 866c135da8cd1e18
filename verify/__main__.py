"""``python -m verify`` is the ``atv`` command."""
from verify.cli import main

main()
