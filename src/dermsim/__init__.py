"""dermsim: a microneedling simulator from needle to collagen.

Research and teaching tool; not medical advice.
"""

from __future__ import annotations

__version__ = "0.1.0"
