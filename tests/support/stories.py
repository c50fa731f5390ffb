"""The project's stories, rules and test stories as trackers, for dialogue tests."""

from __future__ import annotations

from rasa.shared.core.domain import Domain
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.paths import ROOT


def project_trackers() -> tuple[Domain, list[DialogueStateTracker]]:
    """The domain, and one plain tracker per story, rule and test story (no augmentation)."""
    importer = TrainingDataImporter.load_from_config(
        str(ROOT / "config.yml"),
        str(ROOT / "domain.yml"),
        [str(ROOT / "data"), str(ROOT / "tests" / "test_stories.yml")],
    )
    domain = importer.get_domain()
    generated = TrainingDataGenerator(
        importer.get_stories(), domain, augmentation_factor=0, use_story_concatenation=False
    ).generate()
    trackers = [
        DialogueStateTracker.from_events(f"story-{i}", list(t.events), domain.slots)
        for i, t in enumerate(generated)
    ]
    assert len(trackers) >= 30  # 12 stories and test stories, 23 rules
    return domain, trackers
