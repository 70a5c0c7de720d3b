using SliceGpt.Runtime.Evaluation.Readers;
using SliceGpt.Runtime.Tests.Support;

namespace SliceGpt.Runtime.Tests.Evaluation;

/// <summary>The task file readers: the formats they accept and the line numbers of what they reject.</summary>
public class TaskReaderTests
{
    private const string Task1 = "Roof shingle removal: A man is sitting on a roof. he\n3\nis using wrap.\nis ripping tiles off.\nis holding a cube.\nstarts pulling up roofing.\n";
    private const string Task2 = "Clean and jerk: A lady walks to a barbell. the lady\n0\nswings.\npulls the barbell.\npulls a rope.\nstands and lifts.\n";

    [Test]
    public void HellaSwagText_ReadsSixLinesPerTask_AndHonoursTheLimit()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.txt"], Task1 + Task2.Replace("\n", "\r\n"));
        var tasks = HellaSwagReader.Read(temp["h.txt"]);
        Assert.That(tasks.Select(t => (t.Context, t.Gold)), Is.EqualTo(new[]
        {
            ("Roof shingle removal: A man is sitting on a roof. he", 3),
            ("Clean and jerk: A lady walks to a barbell. the lady", 0),
        }));
        Assert.That(tasks[1].Choices, Is.EqualTo(new[] { "swings.", "pulls the barbell.", "pulls a rope.", "stands and lifts." }));
        Assert.That(HellaSwagReader.Read(temp["h.txt"], limit: 1), Has.Count.EqualTo(1));
    }

    [Test]
    public void HellaSwagText_TheRealValidationFile_HasAllItsTasks()
    {
        var tasks = HellaSwagReader.Read(SharedPaths.Get("data", "hellaswag-val", "hellaswag_val_full.txt"));
        Assert.That(tasks, Has.Count.EqualTo(10_042));
        Assert.That(tasks[0].Choices[3], Is.EqualTo("starts pulling up roofing on a roof."));
    }

    [TestCase("4", 2)]
    [TestCase("-1", 2)]
    [TestCase("three", 2)]
    public void HellaSwagText_GoldOutsideTheEndings_IsRejectedWithItsLine(string gold, int line)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.txt"], Task2 + Task1.Replace("\n3\n", $"\n{gold}\n"));
        var error = Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["h.txt"]));
        Assert.That(error!.Line, Is.EqualTo(6 + line));
        Assert.That(error.Message, Does.StartWith(temp["h.txt"] + ":8: the gold index must be an integer in 0..3"));
    }

    [Test]
    public void HellaSwagText_WrongLineCount_NamesTheIncompleteTask()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.txt"], Task1 + Task2[..Task2.IndexOf("pulls a rope", StringComparison.Ordinal)]);
        var error = Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["h.txt"]));
        Assert.That(error!.Line, Is.EqualTo(7));
        Assert.That(error.Message, Does.Contain("4 of its 6 lines"));
    }

    [Test]
    public void HellaSwagText_EmptyLine_IsRejected()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.txt"], Task1.Replace("is holding a cube.", ""));
        Assert.That(Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["h.txt"]))!.Line, Is.EqualTo(5));
    }

    [Test]
    public void NonUtf8Byte_IsRejectedWithItsLine()
    {
        using var temp = new TempFolder();
        var bytes = System.Text.Encoding.UTF8.GetBytes(Task1 + Task2).ToList();
        int at = bytes.IndexOf((byte)'j'); // "Clean and jerk", line 7
        bytes[at] = 0xE9; // Latin-1 'é': not UTF-8 on its own
        File.WriteAllBytes(temp["h.txt"], [.. bytes]);
        var error = Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["h.txt"]));
        Assert.That(error!.Line, Is.EqualTo(7));
        Assert.That(error.Message, Does.Contain("not valid UTF-8 (byte 11 of the line)"));
    }

    [Test]
    public void HellaSwagJsonl_IsCleanedAsTheHarnessCleansIt()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.jsonl"], """
            {"activity_label": "Home and Garden", "ctx_a": "[header] How to fix a roof [title] Check the shingles.", "ctx_b": "you SHOULD look", "endings": ["[step] closely  at them.", "b", "c [substeps] d", "  e  "], "label": "2"}

            {"activity_label": "Roof", "ctx_a": "A man.", "ctx_b": "", "endings": ["a", "b", "c", "d"], "label": 0}
            """);
        var tasks = HellaSwagReader.Read(temp["h.jsonl"]);
        // ctx = ctx_a + " " + ctx_b.capitalize(); " [title]" → ". "; other [..] removed; "  " → " " once; strip.
        Assert.That(tasks[0].Context, Is.EqualTo("Home and Garden: How to fix a roof. Check the shingles. You should look"));
        // strip() runs before the markers go, so "[step] closely" keeps the space after the marker, as in the harness.
        Assert.That(tasks[0].Choices, Is.EqualTo(new[] { " closely at them.", "b", "c d", "e" }));
        Assert.That((tasks[0].Gold, tasks[1].Gold, tasks[1].Context), Is.EqualTo((2, 0, "Roof: A man.")));
    }

    [Test]
    public void Preprocess_CollapsesEachPairOfSpacesOnce_AsPythonsReplace()
    {
        Assert.That(HellaSwagReader.Preprocess("a    b   c"), Is.EqualTo("a  b  c"));
        Assert.That(HellaSwagReader.Capitalize("the LADY"), Is.EqualTo("The lady"));
    }

    [TestCase("""{"activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["a", "b", "c", "d"], "label": 4}""", "\"label\" must be a choice index in 0..3, found 4")]
    [TestCase("""{"activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["a", "b", "c"], "label": 0}""", "\"endings\" must hold 4 strings, found 3")]
    [TestCase("""{"activity_label": "x", "ctx_a": "a", "endings": ["a", "b", "c", "d"], "label": 0}""", "no field \"ctx_b\"")]
    [TestCase("""{"activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["a", "b", "c", "d"], "label": 0""", "not a JSON object")]
    public void HellaSwagJsonl_BadLine_IsRejectedWithItsLine(string line, string problem)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["h.jsonl"], """{"activity_label": "x", "ctx_a": "a", "ctx_b": "b", "endings": ["a", "b", "c", "d"], "label": 1}""" + "\n" + line + "\n");
        var error = Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["h.jsonl"]));
        Assert.That(error!.Line, Is.EqualTo(2));
        Assert.That(error.Problem, Does.StartWith(problem));
    }

    [Test]
    public void Jsonl_FieldsNamedByOptions_ArraysNestedPathsAndSeparateFields()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["arc.jsonl"], """
            {"question": "Which is a gas?", "choices": {"text": ["rock", "steam"], "label": ["A", "B"]}, "answer": "steam"}
            {"question": "Which is wet?", "choices": {"text": ["water", "sand"], "label": ["A", "B"]}, "answer": 0}
            """);
        var arc = JsonlTaskReader.Read(temp["arc.jsonl"], new JsonlFields("question", ["choices.text"], "answer"));
        Assert.That(arc.Select(t => (t.Context, t.Gold)), Is.EqualTo(new[] { ("Which is a gas?", 1), ("Which is wet?", 0) }));
        File.WriteAllText(temp["piqa.jsonl"], """{"goal": "Open a jar", "sol1": "twist the lid", "sol2": "eat the lid", "label": "0"}""");
        var piqa = JsonlTaskReader.Read(temp["piqa.jsonl"], new JsonlFields("goal", ["sol1", "sol2"], "label"));
        Assert.That((piqa[0].Choices, piqa[0].Gold), Is.EqualTo((new[] { "twist the lid", "eat the lid" }, 0)));
    }

    [TestCase("""{"q": "x", "c": ["a", "b"], "g": 2}""", "\"g\" must be a choice index in 0..1, found 2")]
    [TestCase("""{"q": "x", "c": ["a", "b"], "g": "z"}""", "\"g\" is \"z\", neither a choice index nor one of the choices")]
    [TestCase("""{"q": "x", "c": "a", "g": 0}""", "\"c\" must be an array of strings")]
    [TestCase("""{"q": 3, "c": ["a", "b"], "g": 0}""", "\"q\" must be a string, found a Number")]
    [TestCase("""[1, 2]""", "not a JSON object: found a Array")]
    public void Jsonl_BadLine_IsRejectedWithItsLine(string line, string problem)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["t.jsonl"], "\n" + line);
        var error = Assert.Throws<TaskFileException>(() => JsonlTaskReader.Read(temp["t.jsonl"], new JsonlFields("q", ["c"], "g")));
        Assert.That((error!.Line, error.Problem), Is.EqualTo(((int?)2, problem)));
    }

    [Test]
    public void WinoGrande_ReadsSentenceOptionsAndAnswer()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["w.jsonl"], """
            {"sentence": "Lily gave Tim the ball because _ was kind.", "option1": "Lily", "option2": "Tim", "answer": "1"}
            {"sentence": "No blank here.", "option1": "a", "option2": "b", "answer": "2"}
            """);
        var error = Assert.Throws<TaskFileException>(() => WinoGrandeReader.Read(temp["w.jsonl"]));
        Assert.That(error!.Line, Is.EqualTo(2));
        var tasks = WinoGrandeReader.Read(temp["w.jsonl"], limit: 1);
        Assert.That((tasks[0].Choices, tasks[0].Gold), Is.EqualTo((new[] { "Lily", "Tim" }, 0)));
    }

    [Test]
    public void EmptyOrMissingFile_IsAnError()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp["empty.txt"], "\n");
        Assert.Throws<TaskFileException>(() => HellaSwagReader.Read(temp["empty.txt"]));
        Assert.Throws<FileNotFoundException>(() => HellaSwagReader.Read(temp["missing.txt"]));
    }
}
