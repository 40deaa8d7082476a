"""Rasa graph components: thin adapters around the pure extractor (rasa_project.nlu.extractor).

* ``DingK3Tokenizer`` - Jieba (the only Rasa tokenizer that accepts ``language: zh``) with a user
  dictionary made of data/nlu/jieba/*.txt plus every Chinese name/alias in the mapping tables.
  Whitespace tokens are dropped, and each entity span (order number, material, date, number...)
  becomes ONE token whose lemma is a placeholder ("__order_no__"): the intent model learns
  "__order_no__ 改成 __number__" instead of memorising P20250401 and 500.
* ``DingK3ReplyClassifier`` - after DIET and the fallback: a message made only of confirm or
  refusal words ("好的", "ya betul", "yes, correct", "不对") is affirm / deny by word list, a
  "stop / not now" ("先别改，等我问下车间", "nanti dulu", "never mind") is cancel
  (rasa_project.nlu.replies); a long message whose last clause asks an order's progress is
  query_order (rasa_project.nlu.clauses); a "change" that only says what was made ("MO000124 done
  40", "P20250403 selesai 10") is report_progress (rasa_project.nlu.report_words); everything else
  keeps the model's intent.
* ``DingK3EntityExtractor`` - normalised entities (after the intent classifiers, so a bare number
  in an output report becomes good_qty) and the message language as top-level "language".

Mapping tables are read live (``get_mapping``, reloaded when the YAML changes), so an alias a
trainer adds is extracted after ``dingk3 train`` without touching Python.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime
from pathlib import Path
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_project.clock import BusinessClock, get_clock
from rasa_project.mapping import get_mapping
from rasa_project.nlu.clauses import request_intent
from rasa_project.nlu.extractor import extract_entities, find_entity_spans
from rasa_project.nlu.language import detect
from rasa_project.nlu.lexicon import alias_index_for, jieba_words
from rasa_project.nlu.replies import closed_reply_intent, stop_intent
from rasa_project.nlu.report_words import report_not_change
from rasa_project.settings import get_settings

logger = logging.getLogger(__name__)

NOW_METADATA_KEY = "dingk3_now"  # ISO datetime in UserMessage metadata: overrides the business clock
LANGUAGE_KEY = "language"
MAPPING_WORDS_FILE = "mapping_words.txt"
# Any fixed day: the tokenizer needs only where dates are, not which day they mean.
_SPAN_DAY = date(2025, 1, 1)


def _tables(config: dict):
    mapping_dir = config.get("mapping_dir")
    return get_mapping(Path(mapping_dir) if mapping_dir else None)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class DingK3Tokenizer(JiebaTokenizer):
    """Jieba + mapping-table dictionary + one placeholder token per entity span."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**JiebaTokenizer.get_default_config(), "mapping_dir": None}

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Rasa's training cache must see the mapping tables and the jargon dictionary: a new
        alias changes tokens (placeholders) and the stored Jieba words."""
        digest = hashlib.sha256()
        mapping_dir = Path(config.get("mapping_dir") or get_settings().mapping_dir)
        files = sorted(mapping_dir.glob("*.yml"))
        if config.get("dictionary_path"):
            files += sorted(p for p in Path(config["dictionary_path"]).glob("*") if p.is_file())
        for path in files:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        return digest.hexdigest()

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DingK3Tokenizer:
        tokenizer = super().create(config, model_storage, resource, execution_context)
        _add_jieba_words(jieba_words(_tables(config)))
        return tokenizer

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> DingK3Tokenizer:
        try:
            with model_storage.read_from(resource) as directory:
                cls._load_custom_dictionary(str(directory))  # jargon + the mapping words it was trained with
        except ValueError:
            logger.debug("no stored jieba dictionary for %s", resource.name)
        _add_jieba_words(jieba_words(_tables(config)))  # aliases added since training
        return cls(config, model_storage, resource)

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            if self._config.get("dictionary_path"):
                self._copy_files_dir_to_dir(self._config["dictionary_path"], str(directory))
            words = jieba_words(_tables(self._config))
            (Path(directory) / MAPPING_WORDS_FILE).write_text("".join(f"{w} 2000 n\n" for w in words), encoding="utf-8")

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        import jieba

        text = message.get(attribute)
        tables = _tables(self._config)
        spans = find_entity_spans(text, tables, _SPAN_DAY, alias_index_for(tables)) if attribute == TEXT else []
        tokens = [Token(text[s.start:s.end], s.start, s.end, lemma=f"__{s.kind}__") for s in spans]
        for word, start, end in jieba.tokenize(text):
            if word.strip() and not any(start < s.end and s.start < end for s in spans):
                tokens.append(Token(word, start, end))
        tokens.sort(key=lambda t: t.start)
        return self._apply_token_pattern(tokens)


def _add_jieba_words(words: list[str]) -> None:
    import jieba

    for word in words:
        jieba.add_word(word, freq=2000)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class DingK3ReplyClassifier(GraphComponent):
    """Bare confirm / refusal words -> affirm / deny (confidence 1.0), overriding the model."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DingK3ReplyClassifier:
        return cls()

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            model_intent = (message.get(INTENT) or {}).get("name")
            intent = (closed_reply_intent(text) or stop_intent(text) or request_intent(text, model_intent)
                      or report_not_change(text, model_intent))
            if intent is None:
                continue
            ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get("name") != intent]
            message.set(INTENT, {"name": intent, "confidence": 1.0}, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 1.0}, *ranking], add_to_output=True)
        return messages


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False)
class DingK3EntityExtractor(GraphComponent, EntityExtractorMixin):
    """Normalised entities + "language" in the parse output (reaches tracker.latest_message)."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"mapping_dir": None}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> DingK3EntityExtractor:
        return cls(config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            tables = _tables(self._config)
            today = _business_today(message)
            intent = (message.get(INTENT) or {}).get("name")
            found = extract_entities(text, tables, today, intent, alias_index_for(tables))
            ours = [
                {"entity": e.entity, "value": e.value, "start": e.start, "end": e.end, "confidence_entity": 1.0}
                for e in found
            ]
            others = [e for e in message.get(ENTITIES, []) if e.get("extractor") != self.name]
            message.set(ENTITIES, others + self.add_extractor_name(ours), add_to_output=True)
            message.set(LANGUAGE_KEY, detect(text), add_to_output=True)
        return messages


def _business_today(message: Message) -> date:
    metadata = message.get("metadata") or {}
    override = metadata.get(NOW_METADATA_KEY) if isinstance(metadata, dict) else None
    clock = get_clock()
    if override:
        return BusinessClock(tz=clock.tz, anchor=datetime.fromisoformat(str(override))).today()
    return clock.today()
