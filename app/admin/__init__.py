"""The admin pages (/admin): the city's setup from the browser."""
