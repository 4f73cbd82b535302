"""Account lifecycle: hiring, transfers, unit renames, retirement, handover, retention."""
