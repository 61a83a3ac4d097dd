"""closedloop: a district work plan (工作要点) run as a closed loop."""

__version__ = "0.1.0"
