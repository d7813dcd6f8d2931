"""Training tooling for the offline injection classifier (not needed at inference).

``python -m corral.guards.training.train`` retrains the shipped weights; ``.corpus`` loads the
labelled evaluation sets; ``.traffic`` and ``.pages`` generate benign tool traffic and
hand-written injections from a seed.
"""
