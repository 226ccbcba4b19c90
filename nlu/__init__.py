"""Vietnamese NLU for Cầu Nối: Rasa 3.6 graph components (normaliser, tokenizer, gazetteer entities, triage) and the
rules that judge risk, with their language tables read by `nlu.tables`.

Runs inside Rasa and is given its content folder: imports nothing of `bot/` or `actions/` (tests/house enforces it);
the assistant around it imports `nlu`, never the other way round.
"""
