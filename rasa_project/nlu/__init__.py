"""NLU for zh / id / en chat: deterministic entity normalisation + a small intent model.

Entities (codes, quantities, dates, work centers, production types) are extracted by pure,
table-driven functions in ``rasa_project.nlu.normalize`` and ``rasa_project.nlu.extractor``;
the Rasa graph components in ``rasa_project.nlu.components`` only adapt them to Rasa. Intents
come from DIETClassifier (intent only) trained on ``data/nlu``.

Nothing here imports rasa at module level except ``components`` (loaded by Rasa itself).
"""
