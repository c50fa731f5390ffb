"""A Rasa 3.6 assistant that explains a partner's tears and what to do about them."""
