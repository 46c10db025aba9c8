from django import template

register = template.Library()


@register.filter
def duration_hms(seconds) -> str:
    """3723 -> "1:02:03"; 125 -> "2:05"."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
