from .impl import handle
