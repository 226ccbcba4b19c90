"""Vietnamese NLU for Cầu Nối: Rasa 3.6 graph components and the rules that judge risk."""
