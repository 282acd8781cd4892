"""The translation workflow: export a language's texts for a speaker, import what they reviewed, report coverage."""
