"""One function per workflow rule: plain paths and option objects in, the rule's files out.

Each module groups the rules of one stage. This file imports nothing, so that a script's
library inputs (workflow/helpers/library_inputs.py) are only the modules its stage uses.
"""
