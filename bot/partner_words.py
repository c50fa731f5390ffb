"""The partner words the bot says back, and the gender each one implies.

The ``partner`` entity (data/patterns.yml) is the user's own word for their partner,
said back as "your <word>". One rule decides which word:

* a word for a partner is kept as the user said it: partner, spouse, lover, girl, guy,
  man, woman, ex ("my girl" -> "your girl", "my guy" -> "your guy");
* short, misspelt and pet forms of such a word are written out: bf -> boyfriend,
  gf -> girlfriend, fiance -> fiancé, hubby -> husband, wifey -> wife;
* "ex" stays joined to the word it qualifies: "my ex bf" -> "your ex-boyfriend",
  "my ex-wife" -> "your ex-wife", "my ex" -> "your ex";
* a pet name that is no word for a partner (bae, boo, babe) becomes "partner".

Both NLU (bot/nlu/pronouns.py: which pronouns can be the partner's) and the responses
(bot/dialogue/nlg.py) read the gender of a word here.
"""

from __future__ import annotations

EX = "ex-"

# The gender a partner word implies; any other word (partner, spouse, ex, ...) is
# neutral.
WORD_GENDER = {
    "boyfriend": "he",
    "husband": "he",
    "fiancé": "he",
    "man": "he",
    "guy": "he",
    "girlfriend": "she",
    "wife": "she",
    "fiancée": "she",
    "woman": "she",
    "girl": "she",
}


def word_gender(word: str) -> str | None:
    """ "he" or "she" for a gendered partner word ("ex-wife" as "wife"), else None."""
    word = word.strip().lower()
    return WORD_GENDER.get(word.removeprefix(EX))
