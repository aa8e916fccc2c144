"""The question bank: versioned multiple choice, free text and coding questions."""
