"""``python -m django_streaminbox.emulator --host 127.0.0.1 --port 8765 --api-key K --api-secret
S``."""

import sys

from .cli import main

sys.exit(main())
