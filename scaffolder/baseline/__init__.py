"""What scaffolder knows of the security baseline (`templates/_baseline`), read from its files.

`languages` reads the baseline's language table, `languages.yml`, the one place that says
what the baseline does for each language and what `scaffolder audit` expects of it.
"""
