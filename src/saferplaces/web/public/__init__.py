"""Public pages: home (what data is here), data and caveats, accessibility statement."""
