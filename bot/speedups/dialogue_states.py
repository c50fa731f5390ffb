"""A conversation's past states, replayed once and extended as the conversation grows.

Rasa's RulePolicy and MemoizationPolicy turn the tracker into its list of states
(``tracker.past_states`` → ``Domain.states_for_tracker_history``) for every action
they predict: RulePolicy once or twice, MemoizationPolicy once, each time replaying
every event of the conversation into a fresh tracker. A reply predicts two or three
actions, so each message replays the whole conversation about six times, and each
replay grows with the conversation (a third of the dialogue-side CPU in the profile).

``PastStates`` keeps, per sender, the replayed tracker and what Rasa reads from it
before each action. When the events Rasa applies still start with the very same
event objects as last time (the tracker only grew), it replays just the new events;
anything else (an undone turn, a restart, an edit of a user message that turns
already read, another domain or tracker type) starts from the first event again.
The per-turn steps are Rasa's own ``Domain`` helpers, in the order of
``states_for_tracker_history``, and every call returns fresh copies, because the
policies edit the states they get. ``tests/test_dialogue_states.py`` checks the
result against Rasa's over every story and rule of the project, hand-written form
conversations and random event sequences.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION, SLOTS
from rasa.shared.core.domain import Domain, State, SubState
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    DefinePrevUserUtteredFeaturization,
    EntitiesAdded,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

# Least recently used conversations beyond this are dropped. Only the current turn needs
# its entry unless the tracker store hands back the same event objects next turn; an
# entry holds its events (about 50 kB after five messages), so the cap bounds memory.
MAX_CONVERSATIONS = 256


@dataclass(frozen=True)
class _Turn:
    """What ``states_for_tracker_history`` reads from the replayed tracker at one point."""

    state: State  # Domain.get_active_state; shared, so never handed out or edited
    prev_action: SubState | None  # Domain._get_prev_action_sub_state
    hide_rule_turn: bool
    may_hide: bool  # no follow-up action and not the active loop's own turn

    @classmethod
    def read(cls, domain: Domain, tracker: DialogueStateTracker, hide_rule_turn: bool) -> _Turn:
        return cls(
            domain.get_active_state(tracker),
            domain._get_prev_action_sub_state(tracker),
            hide_rule_turn,
            not tracker.followup_action and tracker.latest_action_name != tracker.active_loop_name,
        )


@dataclass
class _WithoutRuleTurns:
    """``ignore_rule_only_turns=True`` (MemoizationPolicy): a fold over the turns."""

    rule_only_data: dict[str, Any] | None
    states: list[State] = field(default_factory=list)
    turns_done: int = 0
    last_ml_action: SubState | None = None
    turn_was_hidden: bool = False

    def _step(self, domain: Domain, turn: _Turn, commit: bool) -> State | None:
        last_ml_action, hidden = self.last_ml_action, self.turn_was_hidden
        if not hidden:
            last_ml_action = turn.prev_action
        if turn.may_hide:
            hidden = turn.hide_rule_turn
        if commit:
            self.last_ml_action, self.turn_was_hidden = last_ml_action, hidden
        if hidden:
            return None
        state = dict(turn.state)
        if SLOTS in state:  # the only sub-state Rasa's helpers edit in place
            state[SLOTS] = dict(state[SLOTS])
        domain._remove_rule_only_features(state, self.rule_only_data)
        if self.states:
            domain._substitute_rule_only_user_input(state, self.states[-1])
        if last_ml_action:
            state[PREVIOUS_ACTION] = last_ml_action
        return domain._clean_state(state)

    def states_until(self, domain: Domain, turns: list[_Turn], last: _Turn) -> list[State]:
        for turn in turns[self.turns_done :]:
            state = self._step(domain, turn, commit=True)
            if state is not None:
                self.states.append(state)
        self.turns_done = len(turns)
        state = self._step(domain, last, commit=False)  # the present may still change
        return self.states if state is None else [*self.states, state]


@dataclass
class _Conversation:
    """One sender's replayed tracker and the turns read from it."""

    domain: Domain
    is_rule_tracker: bool
    replayed: DialogueStateTracker
    applied: list[Event] = field(default_factory=list)
    turns: list[_Turn] = field(default_factory=list)
    last: _Turn | None = None  # after every applied event; dropped when one is added
    turns_since_user: int = 0  # turns read since the latest user message was applied
    without_rule_turns: dict[str, _WithoutRuleTurns] = field(default_factory=dict)
    # the tracker of the last call, its number of events, the last one, its loops
    seen: weakref.ref[DialogueStateTracker] | None = None
    seen_count: int = 0
    seen_last: Event | None = None
    loop_names: frozenset[str] = frozenset()

    def continues(self, tracker: DialogueStateTracker, domain: Domain, applied: list) -> bool:
        """Whether ``applied`` is what was replayed so far, plus new events only."""
        known = self.applied
        return (
            self.domain is domain
            and self.is_rule_tracker == tracker.is_rule_tracker
            and len(applied) >= len(known)
            and all(a is b for a, b in zip(known, applied, strict=False))
            and self.can_extend(applied[len(known) :])
        )

    def can_extend(self, new_events: list[Event]) -> bool:
        """False if a new event edits a user message that turns already read.

        Two events change the latest user message itself rather than the tracker
        (which text or intent features it, its entities), so Rasa's next replay reads
        the changed message in every turn since it was said.
        """
        turns_since_user = self.turns_since_user
        for event in new_events:
            if isinstance(event, UserUttered):
                turns_since_user = 0
            elif isinstance(event, ActionExecuted):
                turns_since_user += 1
            elif isinstance(event, _EDIT_USER_MESSAGE) and turns_since_user:
                return False
        return True

    def added_since_seen(self, tracker: DialogueStateTracker, domain: Domain) -> list | None:
        """Events appended to the tracker of the last call, if Rasa applies them all.

        Then ``tracker.applied_events()`` is what was replayed plus these, and need not
        be computed again; ``None`` when that is not sure.
        """
        events = tracker.events
        count = self.seen_count
        if (
            self.seen is None
            or self.seen() is not tracker
            or self.domain is not domain
            or len(events) < count
            or (count and events[count - 1] is not self.seen_last)
        ):
            return None
        added = list(itertools.islice(events, count, None))
        for event in added:
            # what `applied_events` does not just append (loops: it may undo turns)
            if isinstance(event, _NOT_JUST_APPENDED) or (
                isinstance(event, ActionExecuted) and event.action_name in self.loop_names
            ):
                return None
        return added

    def see(self, tracker: DialogueStateTracker, loop_names: frozenset[str] | None) -> None:
        events = tracker.events
        self.seen = weakref.ref(tracker)
        self.seen_count = len(events)
        self.seen_last = events[-1] if events else None
        if loop_names is not None:
            self.loop_names = loop_names

    def replay(self, new_events: list[Event]) -> None:
        """Rasa's ``generate_all_prior_trackers``, from where the last call stopped."""
        for event in new_events:
            if isinstance(event, ActionExecuted):
                if self.last is not None:  # read at this very point
                    turn = replace(self.last, hide_rule_turn=event.hide_rule_turn)
                else:
                    turn = _Turn.read(self.domain, self.replayed, event.hide_rule_turn)
                self.turns.append(turn)
                self.turns_since_user += 1
            elif isinstance(event, UserUttered):
                self.turns_since_user = 0
            self.replayed.update(event)
            self.applied.append(event)
            self.last = None
        if self.last is None:
            self.last = _Turn.read(self.domain, self.replayed, False)


_NOT_JUST_APPENDED = (
    ActionReverted,
    ActiveLoop,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
)
_EDIT_USER_MESSAGE = (DefinePrevUserUtteredFeaturization, EntitiesAdded)


def _rule_only_key(rule_only_data: dict[str, Any] | None) -> str:
    return repr(sorted((k, list(v)) for k, v in (rule_only_data or {}).items()))


def copy_rule_only_data(rule_only_data: dict[str, Any] | None) -> dict[str, Any] | None:
    """A private copy: the policies' dict must not change the folds kept here."""
    if rule_only_data is None:
        return None
    return {key: list(value) for key, value in rule_only_data.items()}


def copy_states(states: list[State]) -> list[State]:
    """Copies of the states and their sub-states, shared where the originals are."""
    copies: dict[int, SubState] = {}
    result = []
    for state in states:
        new = {}
        for key, sub_state in state.items():
            copy = copies.get(id(sub_state))
            if copy is None:
                copy = copies[id(sub_state)] = dict(sub_state)
            new[key] = copy
        result.append(new)
    return result


class PastStates:
    """``tracker.past_states`` with the replay kept per sender (see the module doc)."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS) -> None:
        self.max_conversations = max_conversations
        self._conversations: OrderedDict[str, _Conversation] = OrderedDict()
        self._lock = threading.Lock()
        self.replays_from_start = 0  # for tests and measurements

    def past_states(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        omit_unset_slots: bool = False,
        ignore_rule_only_turns: bool = False,
        rule_only_data: dict[str, Any] | None = None,
    ) -> list[State]:
        """What ``tracker.past_states(...)`` returns, with the same arguments."""
        # Training trackers cache their own states; the policies never omit slots.
        if omit_unset_slots or type(tracker) is not DialogueStateTracker:
            return tracker.past_states(
                domain,
                omit_unset_slots=omit_unset_slots,
                ignore_rule_only_turns=ignore_rule_only_turns,
                rule_only_data=rule_only_data,
            )
        with self._lock:
            conversation = self._continued(tracker, domain)
            last = conversation.last
            assert last is not None
            if not ignore_rule_only_turns:
                states = [turn.state for turn in conversation.turns]
                states.append(last.state)
            else:
                key = _rule_only_key(rule_only_data)
                fold = conversation.without_rule_turns.get(key)
                if fold is None:
                    fold = _WithoutRuleTurns(copy_rule_only_data(rule_only_data))
                    conversation.without_rule_turns[key] = fold
                states = fold.states_until(domain, conversation.turns, last)
            return copy_states(states)

    def _continued(self, tracker: DialogueStateTracker, domain: Domain) -> _Conversation:
        """The sender's conversation, replayed up to the tracker's last event."""
        sender = tracker.sender_id
        conversation = self._conversations.get(sender)
        if conversation is not None:
            self._conversations.move_to_end(sender)
            added = conversation.added_since_seen(tracker, domain)
            # the same tracker, grown: the next action of a turn
            if added is not None and conversation.can_extend(added):
                conversation.replay(added)
                conversation.see(tracker, None)
                return conversation
        applied = tracker.applied_events()
        if conversation is None or not conversation.continues(tracker, domain, applied):
            conversation = _Conversation(domain, tracker.is_rule_tracker, tracker.init_copy())
            self._conversations[sender] = conversation
            while len(self._conversations) > self.max_conversations:
                self._conversations.popitem(last=False)
            self.replays_from_start += 1
        conversation.replay(applied[len(conversation.applied) :])
        loops = frozenset(e.name for e in tracker.events if isinstance(e, ActiveLoop) and e.name)
        conversation.see(tracker, loops)
        return conversation

    def clear(self) -> None:
        with self._lock:
            self._conversations.clear()


# One for the process: both policies read the same turns of the same conversation.
PAST_STATES = PastStates()
